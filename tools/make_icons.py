#!/usr/bin/env python3
"""Draws the home-screen icons of the web app manifest (static/icon-192.png, icon-512.png).

A white K on the app's dark red, with a gold bar below. The
mark stays inside the central 80 % so that Android's round and squircle masks keep it whole.
Plain Python (zlib only): each pixel is sampled 4x4 times for smooth edges.
"""
import os
import struct
import zlib

RED = (0x9B, 0x1C, 0x1C)
WHITE = (0xFF, 0xFF, 0xFF)
GOLD = (0xF5, 0xC5, 0x42)
# The K, in a box of 512 units.
K = [(166, 136), (218, 136), (218, 244), (326, 136), (390, 136), (266, 260),
     (390, 384), (326, 384), (218, 276), (218, 384), (166, 384)]
BAR = (166, 404, 346, 422)


def inside(poly, x, y):
    hit = False
    j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi = poly[i]
        xj, yj = poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            hit = not hit
        j = i
    return hit


def colour_at(x, y):
    if inside(K, x, y):
        return WHITE
    x0, y0, x1, y1 = BAR
    if x0 <= x <= x1 and y0 <= y <= y1:
        return GOLD
    return RED


def draw(size):
    scale = 512 / size
    n = 4
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    c = colour_at((px + (sx + 0.5) / n) * scale, (py + (sy + 0.5) / n) * scale)
                    for k in range(3):
                        acc[k] += c[k]
            row.extend(round(a / (n * n)) for a in acc)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "static")
    for size in (192, 512):
        with open(os.path.join(out, f"icon-{size}.png"), "wb") as f:
            f.write(draw(size))
