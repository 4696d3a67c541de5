"""Everything around the Lambda code: AWS resources, the local stack, deployment."""
