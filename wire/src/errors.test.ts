import { expect } from 'chai';
import { AudataError, isAudataError } from './errors.ts';

class ExampleError extends AudataError {
  override name = 'ExampleError';
  constructor(received: number) {
    super('EXAMPLE_TOO_LARGE', `Value ${received} is above the limit of 10.`, {
      details: { expected: 10, received },
      hint: 'Pass a smaller value.',
    });
  }
}

describe('AudataError', () => {
  it('carries a stable code, details and a one-line description', () => {
    const error = new ExampleError(12);
    expect(isAudataError(error)).to.equal(true);
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('ExampleError');
    expect(error.details).to.deep.equal({ expected: 10, received: 12 });
    expect(error.describe()).to.equal('EXAMPLE_TOO_LARGE: Value 12 is above the limit of 10. Pass a smaller value.');
    expect(JSON.parse(JSON.stringify(error))).to.deep.equal({
      code: 'EXAMPLE_TOO_LARGE',
      message: 'Value 12 is above the limit of 10.',
      details: { expected: 10, received: 12 },
    });
  });

  it('tells plain errors apart', () => {
    expect(isAudataError(new Error('x'))).to.equal(false);
    expect(isAudataError('x')).to.equal(false);
  });
});
