import type { LedgerEntry } from './types';
import { num } from './format';

/** What a ledger entry means to the customer, in words, and how it moved their credits. */
export function describeEntry(e: LedgerEntry, toolName: (id: string) => string): { what: string; change: string } {
  const tool = e.toolId ? toolName(e.toolId) : 'Generation';
  const why = e.reason ? `: ${e.reason}` : '';
  switch (e.type) {
    case 'grant':
      if (e.source === 'plan') return { what: `Plan credits issued${why}`, change: `+${num(e.amount)}` };
      if (e.source === 'addon') return { what: `Pack purchased${why.replace(/^: pack /, ': ')}`, change: `+${num(e.amount)}` };
      if (e.source === 'bonus') return { what: `Bonus credits${why}`, change: `+${num(e.amount)}` };
      return { what: `Adjustment${why}`, change: `+${num(e.amount)}` };
    case 'reserve':
      return { what: `${tool} started: credits held`, change: `−${num(e.amount)} held` };
    case 'charge':
      return { what: `${tool} completed`, change: `${num(e.amount)} charged` };
    case 'release':
      return { what: `${tool} did not complete${e.reason ? ` (${e.reason})` : ''}: credits returned`, change: `+${num(e.amount)}` };
    case 'refund':
      return { what: `${tool} refunded${why}`, change: `+${num(e.amount)}` };
    case 'expire':
      return { what: `${e.source === 'plan' ? 'Plan credits' : e.source === 'bonus' ? 'Bonus credits' : 'Credits'} expired`, change: `−${num(e.amount)}` };
    case 'void':
      return { what: `Credits taken back${why}`, change: `−${num(e.amount)}` };
  }
}
