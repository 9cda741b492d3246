module.exports = require('../../../tools/jest/config').projectJestConfig(__dirname);
