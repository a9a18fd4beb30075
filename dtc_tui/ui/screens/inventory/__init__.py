"""Key 2: the reorder board, a SKU's detail and health, purchase orders and transfers, their forms."""
