import { Tree } from '@nx/devkit';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { loadFromTree, readTreeFile, readWorkspaceFile, workspaceTree } from '../testing/workspace-tree';
import { eventGenerator, EventGeneratorSchema } from './generator';

type PayloadClass = (new () => object) & { type: string };

const EVENTS = 'libs/contracts/src/events.ts';
const INDEX = 'libs/contracts/src/index.ts';
const PRODUCT_EVENTS = 'libs/contracts/src/product/product.events.ts';

async function generate(tree: Tree, options: EventGeneratorSchema): Promise<void> {
  await eventGenerator(tree, options);
}

/** EVENT_PAYLOADS as the generated contracts lib exports it, run from the tree. */
function eventPayloads(tree: Tree): Record<string, PayloadClass> {
  return loadFromTree(tree, INDEX)['EVENT_PAYLOADS'] as Record<string, PayloadClass>;
}

describe('event generator', () => {
  describe("an aggregate's first event: order.placed, owned by order", () => {
    let tree: Tree;

    beforeAll(async () => {
      tree = workspaceTree();
      await generate(tree, { name: 'order.placed', service: 'order' });
    });

    it('creates libs/contracts/src/order/order.events.ts with the payload class', () => {
      expect(readTreeFile(tree, 'libs/contracts/src/order/order.events.ts')).toBe(
        [
          "import { IsUUID } from 'class-validator';",
          '',
          '/** Published by order on `order.events`. TODO(order): the fact it states, in one sentence. */',
          'export class OrderPlaced {',
          "  static readonly type = 'order.placed';",
          "  static readonly source = 'order';",
          '',
          '  @IsUUID()',
          '  orderId!: string;',
          '}',
          '',
        ].join('\n'),
      );
    });

    it('imports it in events.ts in sorted order and maps its type in EVENT_PAYLOADS', () => {
      const events = readTreeFile(tree, EVENTS);
      expect(events).toContain(
        "import { OrderPlaced } from './order/order.events';\nimport { ProductCreated, ProductDeactivated, ProductUpdated } from './product/product.events';\n",
      );
      expect(events).toContain(
        '  [UserRegistered.type]: UserRegistered,\n  [OrderPlaced.type]: OrderPlaced,\n} as const;',
      );
    });

    it('exports the module from index.ts in sorted order', () => {
      expect(readTreeFile(tree, INDEX)).toContain(
        "export * from './money';\nexport * from './order/order.events';\nexport * from './product/product.events';\n",
      );
    });

    it('maps every type to the class declaring it, as libs/contracts/src/events.spec.ts asserts', () => {
      const payloads = eventPayloads(tree);
      expect(Object.keys(payloads)).toEqual([
        'product.created',
        'product.updated',
        'product.deactivated',
        'user.registered',
        'order.placed',
      ]);
      for (const [type, payloadClass] of Object.entries(payloads)) expect(payloadClass.type).toBe(type);
    });

    it('validates the aggregate id of a payload', () => {
      const OrderPlaced = eventPayloads(tree)['order.placed'];
      expect(
        validateSync(plainToInstance(OrderPlaced, { orderId: '8f14e45f-ceea-4e7a-9b8e-2f6b7a1c9d10' })),
      ).toEqual([]);
      expect(validateSync(plainToInstance(OrderPlaced, { orderId: 'nope' })).map((e) => e.property)).toEqual([
        'orderId',
      ]);
    });
  });

  describe('another event of an existing aggregate: product.repriced', () => {
    let tree: Tree;

    beforeAll(async () => {
      tree = workspaceTree();
      await generate(tree, { name: 'product.repriced', service: 'product' });
    });

    it('appends the class to product.events.ts, reusing its class-validator import', () => {
      const file = readTreeFile(tree, PRODUCT_EVENTS);
      const original = readWorkspaceFile(PRODUCT_EVENTS);
      expect(file.startsWith(original)).toBe(true);
      expect(file.slice(original.length)).toBe(
        [
          '',
          '/** Published by product on `product.events`. TODO(product): the fact it states, in one sentence. */',
          'export class ProductRepriced {',
          "  static readonly type = 'product.repriced';",
          "  static readonly source = 'product';",
          '',
          '  @IsUUID()',
          '  productId!: string;',
          '}',
          '',
        ].join('\n'),
      );
    });

    it('adds it to the existing import, specifiers sorted, and leaves index.ts alone', () => {
      expect(readTreeFile(tree, EVENTS)).toContain(
        "import {\n  ProductCreated,\n  ProductDeactivated,\n  ProductRepriced,\n  ProductUpdated,\n} from './product/product.events';",
      );
      expect(readTreeFile(tree, INDEX)).toBe(readWorkspaceFile(INDEX));
      expect(eventPayloads(tree)['product.repriced']?.type).toBe('product.repriced');
    });
  });

  it('adds IsUUID to an events file that does not import it yet', async () => {
    const tree = workspaceTree();
    tree.write(
      'libs/contracts/src/order/order.events.ts',
      "import { IsString } from 'class-validator';\n\nexport class OrderNoted {\n  static readonly type = 'order.noted';\n\n  @IsString()\n  note!: string;\n}\n",
    );
    await generate(tree, { name: 'order.placed', service: 'order' });
    expect(readTreeFile(tree, 'libs/contracts/src/order/order.events.ts')).toMatch(
      /^import \{ IsString, IsUUID \} from 'class-validator';\n/,
    );
  });

  it.each([
    ['order.placed.v2', 'OrderPlacedV2', 'order/order.events.ts', 'orderId'],
    ['order-line.added', 'OrderLineAdded', 'order-line/order-line.events.ts', 'orderLineId'],
    ['shipment.shipped', 'ShipmentShipped', 'shipment/shipment.events.ts', 'shipmentId'],
  ])('names %s %s in %s with %s', async (type, className, file, idProperty) => {
    const tree = workspaceTree();
    await generate(tree, { name: type, service: 'order' });
    const source = readTreeFile(tree, `libs/contracts/src/${file}`);
    expect(source).toContain(
      `export class ${className} {\n  static readonly type = '${type}';\n  static readonly source = 'order';`,
    );
    expect(source).toContain(`  ${idProperty}!: string;`);
    expect(eventPayloads(tree)[type]?.name).toBe(className);
  });

  describe('refuses bad input and writes nothing', () => {
    it.each([
      'order.place',
      'order.places',
      'Order.placed',
      'order.Placed',
      'order',
      'order.',
      '.placed',
      'order.placed.2',
      'order.placed.v',
      'order.placed.v2.v3',
      'order_line.added',
      'order--line.added',
      'order1.placed',
      'inventory.reserve',
    ])('the type %p', async (name) => {
      const tree = workspaceTree();
      const before = tree.listChanges().length;
      await expect(generate(tree, { name, service: 'order' })).rejects.toThrow(/Invalid event type/);
      expect(tree.listChanges()).toHaveLength(before);
    });

    it.each(['warehouse', 'Order', '', 'order.events'])('the owning service %p', async (service) => {
      await expect(generate(workspaceTree(), { name: 'order.placed', service })).rejects.toThrow(
        /Unknown owning service/,
      );
    });

    it('accepts an owner that exists under apps/ though api.md does not list it', async () => {
      const tree = workspaceTree();
      tree.write('apps/sample/project.json', '{ "name": "sample" }');
      await generate(tree, { name: 'sample.created', service: 'sample' });
      expect(tree.exists('libs/contracts/src/sample/sample.events.ts')).toBe(true);
    });

    it('a type that is already declared', async () => {
      await expect(
        generate(workspaceTree(), { name: 'product.created', service: 'product' }),
      ).rejects.toThrow(/product\.events\.ts already declares the event type "product\.created"/);
    });
  });
});
