import type { DayRange, OurRecord, OurSide, RecordKind } from './types.ts';

/** Our side held in memory: for unit tests of the matcher and the benchmark's control. */
export class MemoryOurSide implements OurSide {
  constructor(
    private readonly records: readonly OurRecord[],
    private readonly page_rows = 1_000,
  ) {}

  async *dayPages(account_id: string, day: DayRange): AsyncGenerator<readonly OurRecord[]> {
    let page: OurRecord[] = [];
    for (const r of this.records) {
      if (r.channel_account_id !== account_id || r.state !== 'SUCCESS' || r.at_ms === null) continue;
      if (r.at_ms < day.start_ms || r.at_ms >= day.end_ms) continue;
      page.push(r);
      if (page.length >= this.page_rows) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async find(kind: RecordKind, ids: readonly string[]): Promise<OurRecord[]> {
    const wanted = new Set(ids);
    return this.records.filter((r) => r.kind === kind && wanted.has(r.id));
  }
}
