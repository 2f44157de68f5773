#!/usr/bin/env python3
"""Reads every record of one table (or of every table) with pyesedb
(libesedb-python): every value of every record, long values read through
their long-value accessor. Prints "RECORDS FAILED": the records read and
the values libesedb could not read (it fails on some records of very wide
tables). scripts/bench.sh times it beside `esescope export`.

Usage: pyesedb_read.py DATABASE [TABLE]
"""
import sys

import pyesedb


def read_table(table):
    records = failed = 0
    columns = table.number_of_columns
    for r in range(table.number_of_records):
        try:
            record = table.get_record(r)
        except Exception:
            failed += 1
            continue
        for i in range(columns):
            try:
                if record.is_long_value(i):
                    lv = record.get_value_data_as_long_value(i)
                    if lv is not None:
                        lv.get_data()
                else:
                    record.get_value_data(i)
            except Exception:
                failed += 1
        records += 1
    return records, failed


def main():
    path = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) > 2 else None
    f = pyesedb.file()
    f.open(path)
    records = failed = 0
    for t in range(f.number_of_tables):
        table = f.get_table(t)
        if name is not None and table.name != name:
            continue
        r, e = read_table(table)
        records += r
        failed += e
    print(records, failed)


if __name__ == "__main__":
    main()
