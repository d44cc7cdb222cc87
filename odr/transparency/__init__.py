"""Publication and transparency: the register of notices (CN E-Commerce Law Art. 44), the transparency
report (DSA Arts. 15 and 24) and the export of notices in the Lumen database's layout."""
