"""Machine translation of filings (argos-translate), with a legal glossary and a translation memory."""
