import { loadConfig } from '../config/env.ts';
import { openStore } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';

export async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const store = openStore({ url: config.database_url });
  try {
    const applied = await migrateToLatest(store.db);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
    return 0;
  } finally {
    await store.close();
  }
}
