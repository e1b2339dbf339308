"""List-forms export: each candidate list as an XLSX laid out like the official Party form."""
