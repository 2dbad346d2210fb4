import type { Render } from './types.ts';

/** Renders one channel of a template for one customer. Implementation follows the interface commit. */
export const render: Render = async () => {
  throw new Error('render: not implemented yet');
};
