"""The documents a customer keeps: invoices and credit notes (numbered,
immutable snapshots), their PDFs, receipts and the CSV export of the
history."""
