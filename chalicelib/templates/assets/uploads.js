/* Upload pages, with JavaScript: choose several files at once; each is offered by the page's
   own route (the resident's session and form token), then posted straight to storage with a
   progress bar. Without JavaScript the page's "Add a photo or document" form does the same
   one file at a time. */
(function () {
  "use strict";
  var block = document.querySelector(".uploads");
  var picker = block && block.querySelector(".uploads__picker");
  var tokenInput = document.querySelector("#attachments-form input[name='form_token']");
  if (!picker || !tokenInput || !window.FormData || !window.fetch) {
    return;
  }
  var input = picker.querySelector("input[type='file']");
  var rows = picker.querySelector(".uploads__progress");
  var result = picker.querySelector(".uploads__result");
  var texts = picker.querySelector(".uploads__texts").dataset;
  var add = block.querySelector(".uploads__add");
  var maxBytes = Number(block.dataset.maxBytes);
  var byExtension = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
    heic: "image/heic", heif: "image/heif", pdf: "application/pdf"
  };
  picker.hidden = false;
  if (add) {
    add.hidden = true;
  }

  function typeOf(file) {
    if (file.type) {
      return file.type;
    }
    return byExtension[file.name.split(".").pop().toLowerCase()] || "application/octet-stream";
  }

  function offer(file) {
    var body = new URLSearchParams();
    body.set("form_token", tokenInput.value);
    body.set("action", "offer");
    body.set("name", file.name);
    body.set("type", typeOf(file));
    return fetch(block.dataset.offer, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body
    }).then(function (answer) {
      return answer.json().then(function (json) {
        if (!answer.ok) {
          throw new Error((json.error && json.error.message) || texts.failed);
        }
        return json;
      });
    });
  }

  function post(form, file, bar) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      Object.keys(form.fields).forEach(function (name) {
        data.append(name, form.fields[name]);
      });
      data.append("file", file);
      var request = new XMLHttpRequest();
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) {
          bar.value = 100;
          resolve();
        } else {
          reject(new Error(texts.failed));
        }
      });
      request.addEventListener("error", function () {
        reject(new Error(texts.failed));
      });
      request.open("POST", form.url);
      request.send(data);
    });
  }

  function row(file, index) {
    var item = document.createElement("li");
    var label = document.createElement("label");
    var bar = document.createElement("progress");
    var state = document.createElement("span");
    bar.id = "upload-" + index;
    bar.max = 100;
    bar.value = 0;
    label.htmlFor = bar.id;
    label.textContent = file.name;
    state.className = "uploads__state";
    state.textContent = texts.sending;
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(state);
    rows.appendChild(item);
    return { bar: bar, state: state };
  }

  function send(file, index) {
    var shown = row(file, index);
    if (file.size > maxBytes) {
      shown.state.textContent = texts.tooLarge;
      return Promise.resolve(false);
    }
    return offer(file)
      .then(function (form) {
        return post(form, file, shown.bar);
      })
      .then(function () {
        shown.state.textContent = texts.sent;
        return true;
      })
      .catch(function (problem) {
        shown.state.textContent = problem.message;
        return false;
      });
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      return;
    }
    input.disabled = true;
    result.textContent = texts.sending + "…";
    // One after another: each offer rewrites the report's list, and one at a time keeps them
    // from racing each other.
    var sent = files.reduce(function (previous, file, index) {
      return previous.then(function (outcomes) {
        return send(file, index).then(function (ok) {
          return outcomes.concat([ok]);
        });
      });
    }, Promise.resolve([]));
    sent.then(function (outcomes) {
      input.disabled = false;
      if (outcomes.indexOf(false) === -1) {
        result.textContent = texts.sent;
        var keep = window.location.search.indexOf("change=1") !== -1 ? "?change=1" : "";
        window.location.assign(window.location.pathname + keep);
      } else {
        result.textContent = texts.failed;
      }
    });
  });
})();
