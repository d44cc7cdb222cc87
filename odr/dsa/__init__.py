"""The Digital Services Act's own acts: decisions on notices (Art. 16), statements of reasons (Art. 17), the
internal complaint-handling system (Art. 20), certified out-of-court bodies (Art. 21) and the records for the
Commission's transparency database (Art. 24(5))."""
