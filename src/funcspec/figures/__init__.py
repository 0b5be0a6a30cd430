"""One module per figure: each reads result tables and writes its figure (a figure of the study
as figN.pdf, .png and .csv; the training curves as a PNG)."""
