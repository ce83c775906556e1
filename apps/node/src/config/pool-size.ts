/** Connections in one node's database pool. */
export const DATABASE_POOL_SIZE = 10;
