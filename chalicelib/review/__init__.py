"""The staff side: sign-in, the review queue, decisions, case numbers, metrics, the audit trail."""
