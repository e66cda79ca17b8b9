"""The park as data: pydantic models of the files, and what they mean (pure: no files, no
clocks)."""
