"""Reports: the chart and page toolkit, then each command's report."""
