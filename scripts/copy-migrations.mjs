// The compiled store reads its SQL migrations beside it: copy them into dist/.
import { cpSync } from 'node:fs';
cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true });
