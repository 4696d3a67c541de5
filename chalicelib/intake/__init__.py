"""The resident side: email verification, the report wizard, screening, submission."""
