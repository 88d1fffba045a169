/** The API's shapes: the SDK's types, one statement of them (type-only, nothing of the SDK is bundled). */
export type { Balance, BreakdownLine, GrantSource, LedgerEntry, LedgerType, Money, Page, Pricing, PricingPack, PricingPlan, PricingTool, Purchase } from '../../../sdk/src/types';
