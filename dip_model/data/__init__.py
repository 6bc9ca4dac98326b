"""Data in and out: the DataSet type (dataset), reading and checking a data folder (load; the contract's
tables in schema, the files found and read by files, their cells converted by cells), the results folder
(results), the embedded store of datasets and scenarios (store), the synthetic city (synth) and the
importer of settlement-list exports (importer/).

Imports: the top level of dip_model and rules (the importer groups cases by the A-15 keys). Nothing from
analysis, report or cli. The rules use only `data.dataset` from here.
"""
