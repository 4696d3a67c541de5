"""Files residents attach to a report: photos, receipts and documents."""
