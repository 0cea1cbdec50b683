import threading

stock_lock = threading.Lock()
orders_lock = threading.Lock()
