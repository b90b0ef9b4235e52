import { decodeWatermarks, encodeWatermarks } from '../../lambdas/adapters/kpi-store-dynamodb';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

describe('KPI item watermarks as stored', () => {
  it('writes compact watermarks with these exact bytes (a changed layout must fail here)', () => {
    const w = encodeWatermarks({ 'shardId-000000000003': SEQ, 'other-shard': '7' });
    expect(Object.keys(w)).toEqual(['3', 'other-shard']);
    expect(Buffer.from(w['3']!.B!).toString('hex')).toBe('0205bf4e5c260000000067648a170005c181eea000000062');
    expect(Buffer.from(w['other-shard']!.B!).toString('hex')).toBe('07');
  });

  it('reads watermarks in the compact form and in the map form written before', () => {
    const compact = encodeWatermarks({ 'shardId-000000000003': SEQ });
    const legacy = { 'shardId-000000000001': { S: '12345' } };
    expect(decodeWatermarks({ w: { M: compact }, wm: { M: legacy } })).toEqual({
      'shardId-000000000001': '12345',
      'shardId-000000000003': SEQ,
    });
    expect(decodeWatermarks({})).toEqual({});
  });
});
