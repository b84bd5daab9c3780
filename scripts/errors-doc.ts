// Writes docs/errors.md from the error catalogue: npm run docs:errors > docs/errors.md
import { ERROR_CATALOGUE } from '../src/domain/errors.ts';

const lines = [
  '# Error catalogue',
  '',
  'Every error answer has this shape:',
  '',
  '```json',
  '{"error":{"code":"AMOUNT_INVALID","message":"…","param":"amount","retryable":false,"doc_url":"…#amount_invalid"}}',
  '```',
  '',
  '`code` is stable: match on it, never on the message. `param` names the field or header at fault when there is one. `retryable` says whether sending the same request again can succeed. The list is generated from `src/domain/errors.ts`, the one catalogue.',
  '',
  '| code | HTTP | retryable | meaning and what to do |',
  '|---|---|---|---|',
];
for (const [code, e] of Object.entries(ERROR_CATALOGUE))
  lines.push(
    `| <a id="${code.toLowerCase()}"></a>\`${code}\` | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${e.message.replaceAll('|', '\\|').replaceAll('\\\\n', '\\n')} |`,
  );
console.log(lines.join('\n'));
