"""Takes orders_lock, then stock_lock through a call into another module."""
from shop import stock
from shop.locks import orders_lock


def place(item):
    with orders_lock:
        stock.reserve(item)  # expect: PYR004
