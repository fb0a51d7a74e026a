"""Reports: run statistics and histograms, thresholds, live progress, JSON / JUnit / summary / HTML."""
