import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Named values of the node's sign-in: the token signing secret and the setup token's hash. */
@Injectable()
export class AuthSettingsRepository {
  async get(manager: EntityManager, name: string): Promise<string | undefined> {
    const rows = await manager.query(`SELECT value FROM auth_setting WHERE name = $1`, [name]);
    return rows[0]?.value;
  }

  /** Stores `value` unless the name already holds one; returns what is stored (the first writer wins). */
  async getOrCreate(manager: EntityManager, name: string, value: string): Promise<string> {
    await manager.query(`INSERT INTO auth_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, value]);
    return (await this.get(manager, name)) as string;
  }

  async put(manager: EntityManager, name: string, value: string): Promise<void> {
    await manager.query(`INSERT INTO auth_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, created_at = now()`, [
      name,
      value,
    ]);
  }

  async delete(manager: EntityManager, name: string): Promise<void> {
    await manager.query(`DELETE FROM auth_setting WHERE name = $1`, [name]);
  }
}
