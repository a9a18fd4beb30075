"""The store's orders: derived daily figures (daily), warehouses of order lines (warehouses), the
order behind a ticket (links), lookups and the order detail (lookup)."""
