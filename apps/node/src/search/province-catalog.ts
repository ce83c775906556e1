import type { EntryState, EntryStatus, EntryType, Grade, OpenType, ShareType } from '@tdx/contracts';

/** What a province-wide search asks: words (Chinese matched by substring) and filters, one page. */
export interface ProvinceSearch {
  q?: string;
  type?: EntryType;
  category?: string;
  grade?: Grade;
  shareType?: ShareType;
  openType?: OpenType;
  /** The provider institution's UUID. */
  providerId?: string;
  /** The division whose node registered the entry. */
  origin?: string;
  /** Default 'active': retired entries are found only when asked for. */
  status?: EntryStatus;
  /** Only entries the public may see (open type unconditional or restricted, never L4). */
  openToPublic?: boolean;
  cursor?: string;
  limit: number;
}

/** One page of the province's catalog, and where it came from. */
export interface ProvinceSearchPage {
  items: EntryState[];
  nextCursor?: string;
  /**
   * 'province': the province answered, the whole province's catalog. 'subtree': the province could
   * not be reached, so this node answered from what it holds (its own entries and its subtree's).
   */
  scope: 'province' | 'subtree';
}

/**
 * The whole province's catalog, seen from any node (Article 10): the province holds every entry
 * (upward replication), so a node below it asks the province through the channel.
 */
export abstract class ProvinceCatalog {
  abstract search(query: ProvinceSearch): Promise<ProvinceSearchPage>;
  /** One entry by its UUID, wherever it was registered; null when the province knows none. ChannelUnreachable when neither this node nor the province can say. */
  abstract entry(id: string): Promise<EntryState | null>;
}
