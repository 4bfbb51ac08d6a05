"""In-memory item store."""


class Store:
    def __init__(self):
        self._items = {}
        self._next_id = 1

    def add(self, name, quantity=0):
        item = {"id": self._next_id, "name": name, "quantity": quantity}
        self._items[item["id"]] = item
        self._next_id += 1
        return item

    def list(self, limit=50):
        return list(self._items.values())[:limit]

    def restock(self, item_id, amount):
        self._items[item_id]["quantity"] += amount
