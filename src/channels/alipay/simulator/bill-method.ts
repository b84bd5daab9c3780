import { isCalendarDate, toBeijingDate } from '../time.ts';
import { billEntries } from './bill-file.ts';
import { type MethodContext, text } from './method-context.ts';
import { businessFailed, invalidArguments, type SimResult, success } from './results.ts';

/**
 * alipay.data.dataservice.bill.downloadurl.query for the trade bill of one past Beijing day
 * (monthly bills and the signcustomer bill are not simulated). Alipay publishes a day's bill the
 * next day; asking for today or later is answered isp.bill_not_exist, as Alipay does.
 */
export const BILL_PATH = '/downloadBillFile.resource';

export async function billDownloadUrl(m: MethodContext): Promise<SimResult> {
  const bill_type = text(m.biz, 'bill_type');
  const bill_date = text(m.biz, 'bill_date');
  if (bill_type !== 'trade') return invalidArguments('isv.invalid-arguments', 'bill_type 只支持 trade');
  if (bill_date === undefined || !isCalendarDate(bill_date))
    return invalidArguments('isv.invalid-arguments', 'bill_date 格式为 yyyy-MM-dd');
  if (bill_date >= toBeijingDate(m.core.clock.now_ms()))
    return businessFailed('isp.bill_not_exist', '账单不存在');
  const channel_wide = m.faults.filter((f) => f.kind === 'bill_mismatch');
  const entries = billEntries(
    m.core.orders.all(),
    m.caller.merchant_app_id,
    bill_date,
    (out_trade_no) => m.core.faults.takeKind('bill', out_trade_no, ['bill_mismatch']),
    channel_wide,
  );
  const token = m.core.bills.put(m.caller.seller_id, bill_date, entries);
  const query = new URLSearchParams({ bizType: 'trade', fileType: 'csv', bizDates: bill_date, token });
  return success({ bill_download_url: `${m.caller.origin}${BILL_PATH}?${query.toString()}` });
}
