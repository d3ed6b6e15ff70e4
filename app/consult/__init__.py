"""Consultation widget (立即咨询): the form, its confirmation and the receipt lookup."""
