"""Files in and out: bounded reading, bundled data, the one park reader, dumping, atomic writes,
result folders."""
