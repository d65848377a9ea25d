#!/usr/bin/python3
"""Writes iris.csv from scikit-learn's copy of Fisher's Iris measurements (Debian python3-sklearn).

Run once; the CSV is committed beside this script:  /usr/bin/python3 make_iris.py
Columns: sepal_length, sepal_width, petal_length, petal_width (cm), species.
"""
import csv

from sklearn.datasets import load_iris

data = load_iris()
with open("iris.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    for row, target in zip(data.data, data.target):
        w.writerow([f"{v:.1f}" for v in row] + [data.target_names[target]])
print("iris.csv:", len(data.data), "rows")
