/**
 * Purse's credits pieces for an app's own pages: each takes the Purse base URL
 * and a customer session that the app's backend minted
 * (`POST /v1/customers/{id}/sessions`). The balance is read once per session
 * and shared by every component on the page.
 *
 * @example
 * <BalanceBadge baseUrl="https://purse.example.com" session={session} href="/credits" />
 */
export { BalanceBadge, type BalanceBadgeProps } from './balance-badge';
export { BalanceBreakdown, type BalanceBreakdownProps } from './balance-breakdown';
export { Breakdown } from './breakdown';
export { BuyButton, type BuyButtonProps } from './buy-button';
export { ApiError, apiUrl, customerPath, newIdempotencyKey, purseRequest, readAnswer, type CustomerSession, type PurseConnection } from './client';
export { CreditsNotice, type CreditsNoticeProps } from './credits-notice';
export { CreditHistory, HISTORY_PAGE_SIZE, LedgerTable, type LedgerTableProps } from './credit-history';
export { download, toCsv } from './csv';
export { DataTable, type Column } from './data-table';
export * from './format';
export { describeEntry } from './ledger';
export { PricingTable, type PricingTableProps } from './pricing-table';
export type * from './types';
export { ErrorNotice, Loading, Notice, UserIcon } from './ui';
export { BALANCE_POLL_MS, useBalance, type BalanceState } from './use-balance';
export { usePricing } from './use-pricing';
