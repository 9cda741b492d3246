module.exports = require('../jest/config').projectJestConfig(__dirname);
