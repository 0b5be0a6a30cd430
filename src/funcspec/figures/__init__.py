"""One module per figure of the study; each reads result tables and writes figN.pdf, .png and
.csv."""
