import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'mysql',
  schema: [
    './src/core/db/schema.ts',
    './src/core/security/tables.ts',
    './src/features/*/schema.ts',
  ],
  out: './drizzle',
})
