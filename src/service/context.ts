import type { AlertSettings } from '../domain/events.js';
import type { RefundPolicyOverride } from '../domain/refunds.js';
import type { PaymentProvider } from '../payments/provider.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/** What every use case needs: where data lives and what time it is. */
export interface ServiceContext {
  store: Store;
  clock: Clock;
  /** Who takes payments; the sandbox unless configured otherwise. */
  payments?: PaymentProvider;
  /** Alert settings for customers that have none of their own (PURSE_LOW_BALANCE, PURSE_EXPIRING_SOON_DAYS). */
  alerts?: AlertSettings;
  /** The cooldown a customer's auto top-up gets when it sets none (PURSE_AUTO_TOP_UP_COOLDOWN_SECONDS). */
  autoTopUpCooldownSeconds?: number;
  /** The refund policy of tools that set none of their own, reason by reason (PURSE_REFUND_POLICY); the built-in one when absent. */
  refundPolicy?: RefundPolicyOverride;
  /** Which customer holds each generation recently seen (ids never change hands); made on first use. */
  generationOwners?: Map<string, string>;
}
