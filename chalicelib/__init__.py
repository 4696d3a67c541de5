"""Self-Report: everything that runs in Lambda."""
