"""Organisation life: meeting types and rules, records and review, QR check-in, compliance."""
