import { EntityManager, QueryFailedError, QueryResult } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * One parameterised statement inside a `dataSource.transaction(manager => …)`. Failures are rethrown as the
 * driver's own error: TypeORM's QueryFailedError carries the statement's parameters (password hashes, token
 * hashes), and an error is logged whole when it becomes a 5xx.
 */
export async function sql<T extends object = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  values: unknown[] = [],
): Promise<SqlResult<T>> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('sql() runs inside a transaction (manager.queryRunner is not set)');
  try {
    const result = (await runner.query(text, values, true)) as QueryResult<T>;
    const rows = result.records ?? [];
    return { rows, rowCount: result.affected ?? rows.length };
  } catch (error) {
    throw error instanceof QueryFailedError ? (error.driverError as Error) : error;
  }
}
