"""Self-Report: the Chalice application. Blueprints only; everything else is in chalicelib/."""

from chalicelib.routes import (
    api,
    attachments_api,
    copy_pages,
    local,
    openapi,
    pages,
    report_pages,
    staff_api,
    staff_attachments,
    staff_claims,
    staff_corrections,
    staff_nibrs,
    staff_pages,
    staff_search,
    tasks,
)
from chalicelib.routes.application import SelfReportApp

# Chalice, with the request being handled kept per thread (see SelfReportApp).
app = SelfReportApp(app_name="self-report")
app.register_blueprint(pages.blueprint)
app.register_blueprint(report_pages.blueprint)
app.register_blueprint(copy_pages.blueprint)
app.register_blueprint(api.blueprint)
app.register_blueprint(attachments_api.blueprint)
app.register_blueprint(staff_api.blueprint)
app.register_blueprint(openapi.blueprint)
app.register_blueprint(staff_pages.blueprint)
app.register_blueprint(staff_search.blueprint)
app.register_blueprint(staff_claims.blueprint)
app.register_blueprint(staff_corrections.blueprint)
app.register_blueprint(staff_attachments.blueprint)
app.register_blueprint(staff_nibrs.blueprint)
app.register_blueprint(local.blueprint)
app.register_blueprint(tasks.blueprint)
