"""The ODR Platform Rules as published: every version, in the ten UI languages, each rule anchored."""
