CREATE TABLE nexmark WITH (connector = 'nexmark');
