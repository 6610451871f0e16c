"""The analyst's workspace: pick services and dates, download the summary workbook."""
