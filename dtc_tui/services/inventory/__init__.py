"""Inventory: the reorder rules as pure formulas (rules: reorder point, safety stock, days of cover,
ABC), the board in SQL (board), health KPIs, purchase orders and transfers (purchasing), one SKU's
state for other areas (stock_state).
"""
