"""Photos and documents residents attach to their reports: uploaded straight to S3, checked
from their bytes before anyone sees them."""
